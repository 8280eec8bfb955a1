! A Fortran program's names as a person reads them: a module's
! allocatable array allocated in the module's procedure, and a
! threadprivate module array each OpenMP thread scales in turn.
!
!   fortran-modules [ROUNDS]    (2000)
! Prints the array's sum and the threads' copies' sum.
module grid
  implicit none
  real(8), allocatable :: field(:)
  real(8) :: work(32768)
!$omp threadprivate(work)
contains
  subroutine setup(n)
    integer, intent(in) :: n
    allocate(field(n))
    field = 1.0d0
  end subroutine
end module

program fortran_modules
  use grid
  implicit none
  character(len=16) :: arg
  integer :: i, r, rounds
  real(8) :: s

  rounds = 2000
  if (command_argument_count() > 0) then
    call get_command_argument(1, arg)
    read (arg, *) rounds
  end if
  call setup(262144)
  s = 0
!$omp parallel private(i, r) reduction(+:s)
  work = 1.0d0
  do r = 1, rounds
    do i = 1, size(work)
      work(i) = work(i) * 0.5d0 + 0.5d0
    end do
  end do
  s = s + sum(work)
!$omp end parallel
  print '(f0.1, 1x, f0.1)', sum(field), s / 32768
end program
